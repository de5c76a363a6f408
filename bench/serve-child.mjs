// What every bench child process shares, in plain JavaScript so that a child run without tsx (the gateway, which
// must run the built package as users do) can use it too. Types: serve-child.d.mts.

/** Writes one message as a JSON line on stdout, the parent's channel. */
export function sendToParent(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/**
 * Runs `stop` once on SIGTERM, SIGINT (Ctrl-C reaches the whole process group) or when the parent's end of
 * stdin closes (the parent died without signalling), then exits; later signals are ignored meanwhile.
 */
export function onParentGone(stop) {
  let stopping = false;
  const run = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal while stopping (the parent's end-of-run SIGTERM) must not kill the child
  // before it has exited by itself, which would also lose a `--cpu-prof` profile written at exit.
  process.on("SIGTERM", run);
  process.on("SIGINT", run);
  process.stdin.on("end", run);
  process.stdin.on("error", run);
  process.stdin.resume();
}
