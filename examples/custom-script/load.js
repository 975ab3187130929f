// An ordinary k6 script: no `options`, no glue. chaos runs it under the scenario's load profile (executor,
// rate, windows) and tags every request with its window; TARGET_URL is the scenario's target.url.
import http from 'k6/http';
import { check } from 'k6';

export default function () {
  const res = http.get(__ENV.TARGET_URL);
  check(res, { 'status is 200': (r) => r.status === 200 });
}
