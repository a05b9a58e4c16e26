"""The Scrapy peer of benches/crawl (issue 8): a spider that follows every <a href> within the
benchmark hosts, one request in flight per host, robots.txt obeyed, no delay.

Run by the harness as
    scrapy runspider bench/scrapy_bench.py -a hosts=127.0.0.1:PORT,... [-s ...]
with PYTHONPATH=bench so that `scrapy_warc_mw` (the scrapy-warcio downloader middleware, as its
README has users write it) is importable when WARC output is wanted.
"""

from urllib.parse import urlsplit

import scrapy


class BenchSpider(scrapy.Spider):
    name = "bench"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 16,
        # baoluu's rule: one request in flight per host.
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "scrapy-bench/0.1 (+mailto:bench@example.org)",
    }

    def __init__(self, hosts="", **kwargs):
        super().__init__(**kwargs)
        self.hosts = set(h for h in hosts.split(",") if h)
        self.start_urls = [f"http://{h}/" for h in sorted(self.hosts)]

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if urlsplit(url).netloc in self.hosts:
                yield scrapy.Request(url, callback=self.parse)
