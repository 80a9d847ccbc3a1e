// Small process helpers shared by the scripts.

/** Whether a process with this pid runs (one of another user's counts: EPERM). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
