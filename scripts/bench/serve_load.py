#!/usr/bin/env python3
"""A bounded load run against a running `lisa serve`: C clients in parallel, each sending R
/v1/segment requests one after the other (the same picture and question), for each C given.

Prints one line per client count: requests answered (200) and refused (503), requests per second
over the run's wall time, and the p50 / p99 latency of the answered ones. Standard library only.

  build/lisa serve -m MODEL --vision-tower CLIP --port 8080 --queue 16 -q &
  scripts/bench/serve_load.py --url http://127.0.0.1:8080 --image tests/data/golden/images/astronaut_wide.jpg \
      --prompt "Who is the person in this picture? Please output segmentation mask." --clients 1 4 16
"""
import argparse
import base64
import json
import threading
import time
import urllib.error
import urllib.request


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def run(url, body, headers, clients, requests_each):
    latencies, refused, failed = [], [0], [0]
    lock = threading.Lock()

    def client():
        for _ in range(requests_each):
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=300) as res:
                    json.load(res)
                with lock:
                    latencies.append(time.perf_counter() - start)
            except urllib.error.HTTPError as e:
                with lock:
                    if e.code == 503:
                        refused[0] += 1
                    else:
                        failed[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return latencies, refused[0], failed[0], wall


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--image", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=8, help="requests per client")
    parser.add_argument("--api-key", default="")
    args = parser.parse_args()
    with open(args.image, "rb") as f:
        image = base64.b64encode(f.read()).decode()
    body = json.dumps({"image": image, "prompt": args.prompt, "max_new_tokens": args.max_new_tokens}).encode()
    headers = {"Content-Type": "application/json"}
    if args.api_key:
        headers["X-API-Key"] = args.api_key
    url = args.url.rstrip("/") + "/v1/segment"
    run(url, body, headers, 1, 1)  # warm-up: the image is prepared and cached
    print("clients  answered  refused  failed  req/s   p50 ms   p99 ms")
    for clients in args.clients:
        latencies, refused, failed, wall = run(url, body, headers, clients, args.requests)
        p50 = percentile(latencies, 50) * 1000 if latencies else float("nan")
        p99 = percentile(latencies, 99) * 1000 if latencies else float("nan")
        print("%7d  %8d  %7d  %6d  %5.1f  %7.1f  %7.1f" % (clients, len(latencies), refused, failed,
                                                           len(latencies) / wall, p50, p99))


if __name__ == "__main__":
    main()
