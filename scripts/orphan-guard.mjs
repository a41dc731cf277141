// Loaded with --import into the process that scripts/node22.mjs starts: if the launcher dies
// without passing a signal on (kill -9, a crashed terminal), this process stops too, instead of
// running on as an orphan (e.g. a server still listening). Processes that the child starts in
// turn (test workers) inherit the flag but not the parent, so they ignore it.
const launcher = Number(process.env.CIPHERPRUNE_LAUNCHER_PID);
if (launcher && process.ppid === launcher) {
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  timer.unref();
}
