/** Prometheus text-format counters for the registry: requests by method and status, bytes, latency. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private seconds = 0;
  private count = 0;
  bytesIn = 0;
  bytesOut = 0;

  request(method: string, status: number, ms: number, _bytes: number): void {
    const k = `method="${method.replace(/[^A-Z]/g, '')}",code="${status}"`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    this.seconds += ms / 1000;
    this.count++;
  }

  render(uploadsInProgress: number): string {
    const lines = [
      '# HELP berth_registry_http_requests_total HTTP requests by method and status code.',
      '# TYPE berth_registry_http_requests_total counter',
      ...[...this.requests].sort().map(([k, v]) => `berth_registry_http_requests_total{${k}} ${v}`),
      '# HELP berth_registry_http_request_duration_seconds Time spent answering requests.',
      '# TYPE berth_registry_http_request_duration_seconds summary',
      `berth_registry_http_request_duration_seconds_sum ${this.seconds}`,
      `berth_registry_http_request_duration_seconds_count ${this.count}`,
      '# HELP berth_registry_blob_bytes_received_total Blob bytes received in uploads.',
      '# TYPE berth_registry_blob_bytes_received_total counter',
      `berth_registry_blob_bytes_received_total ${this.bytesIn}`,
      '# HELP berth_registry_bytes_sent_total Blob and manifest bytes sent.',
      '# TYPE berth_registry_bytes_sent_total counter',
      `berth_registry_bytes_sent_total ${this.bytesOut}`,
      '# HELP berth_registry_uploads_in_progress Open upload sessions.',
      '# TYPE berth_registry_uploads_in_progress gauge',
      `berth_registry_uploads_in_progress ${uploadsInProgress}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
