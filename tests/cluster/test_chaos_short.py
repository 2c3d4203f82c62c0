"""A short chaos run in `make test`: tools/chaos.py for CHAOS_SHORT_SECONDS (default 25) seconds.

Five nodes behind fault proxies take client load from worker processes while nodes are killed,
paused and partitioned; afterwards every invariant of the long run (`make chaos`, CHAOS_SECONDS
default 300) must hold: no crash, identical views, one owner per key, no zombies, nothing lost,
every conflict loser notified, memory back near its baseline. The tool prints its seed and figures;
set CHAOS_SEED to replay a seed. On failure the run directory (node logs, fault timeline, client
commands) is kept and its path printed.
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHAOS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "chaos.py")
RUN_TIMEOUT_S = 240


class ChaosShortTest(unittest.TestCase):

    def test_short_chaos_run_keeps_every_invariant(self):
        args = [sys.executable, CHAOS,
                "--seconds", os.environ.get("CHAOS_SHORT_SECONDS", "25"),
                # Lighter than the long run: this shares the machine with the rest of ctest.
                "--workers", "2", "--threads", "4", "--rate", "300",
                "--converge-timeout", "30"]
        if os.environ.get("CHAOS_SEED"):
            args += ["--seed", os.environ["CHAOS_SEED"]]
        try:
            proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired as e:
            sys.stdout.write(e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes)
                             else (e.stdout or ""))
            self.fail("chaos run did not finish within %ds" % RUN_TIMEOUT_S)
        sys.stdout.write(proc.stdout)
        sys.stdout.flush()
        self.assertEqual(proc.returncode, 0,
                         "chaos run failed with status %d (its output is above)" %
                         proc.returncode)


if __name__ == "__main__":
    unittest.main(verbosity=2)
