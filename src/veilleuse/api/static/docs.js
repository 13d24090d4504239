// Interactive documentation of the API: Swagger UI (served from this site) on the OpenAPI document.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    persistAuthorization: false,
    displayRequestDuration: true,
    // the page sends no session cookie to the API: the token alone authenticates
    requestInterceptor: function (request) {
      request.credentials = "omit";
      return request;
    },
  });
});
