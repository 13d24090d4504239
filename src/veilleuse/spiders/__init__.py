"""Fetching and parsing sources into core.Notice. Scrapy and feedparser are imported here only."""
