// The image's HEALTHCHECK (plain Node, no curl in the image). It checks what the container's role serves:
//   all, api — GET /readyz on the API (Temporal, Kingdee and DingTalk reachable): healthy on 200;
//   worker   — no HTTP API: the worker's Prometheus endpoint answers and shows a workflow-task poller.
// The role is read the way scripts/start.ts reads it: `--role X` on the container's command line (PID 1, or the
// command docker-init runs), else ROLE, else all. Ports come from the same variables the service reads.
'use strict';
const { readFileSync } = require('node:fs');

function role() {
  let args = [];
  try {
    args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
  } catch {
    // Not Linux, or no /proc: fall back to the environment.
  }
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--role' && args[i + 1]) return args[i + 1];
    if (args[i].startsWith('--role=')) return args[i].slice('--role='.length);
  }
  return process.env.ROLE || 'all';
}

async function check() {
  if (role() === 'worker') {
    const port = process.env.WORKER_METRICS_PORT || '9464';
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(4000) });
    const text = await response.text();
    const pollers = /^temporal_num_pollers\{[^}]*poller_type="workflow_task"[^}]*\} (\d+)/m.exec(text);
    if (!response.ok || !pollers || Number(pollers[1]) === 0) throw new Error('the worker is not polling Temporal');
    return 'worker polling';
  }
  const port = process.env.API_PORT || '3000';
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(8000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`/readyz answered ${response.status}: ${body}`);
  return body;
}

check().then(
  (detail) => {
    console.log(detail);
    process.exit(0);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
