package ai.aim4j.interop.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** pip's output condensed to progress lines: lines as pip 23 prints them. */
class PipOutputTest {
    @Test
    void packagesInstallsAndErrorsShowTheRestStaysInTheLog() {
        PipOutput out = new PipOutput();
        assertEquals("processing jax 0.10.2",
                out.condense("Processing /opt/pypi/files/jax-0.10.2-py3-none-any.whl (from -r /x/requirements.txt (line 4))"));
        assertEquals("collecting numpy<3,>=2", out.condense("Collecting numpy<3,>=2 (from -r requirements.txt (line 12))"));
        assertEquals("downloading numpy 2.4.6 (16.9 MB)",
                out.condense("  Downloading https://example.org/packages/numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl (16.9 MB)"));
        assertEquals("installing 3 packages", out.condense("Installing collected packages: numpy, jax, flax"));
        assertEquals("installed 2 packages", out.condense("Successfully installed jax-0.10.2 numpy-2.4.6"));
        assertEquals("ERROR: No matching distribution found for jax==9", out.condense("ERROR: No matching distribution found for jax==9"));
        assertEquals("ERROR: No matching distribution found for setuptools>=61",
                out.condense("      ERROR: No matching distribution found for setuptools>=61"));
        assertEquals("error: subprocess-exited-with-error", out.condense("error: subprocess-exited-with-error"));
        assertNull(out.condense("Requirement already satisfied: jax==0.10.2 in ./lib/python3.11/site-packages (0.10.2)"));
        assertNull(out.condense("  Preparing editable metadata (pyproject.toml): started"));
    }

    @Test
    void aConnectionRetryIsNamedOnceWithTheWayAround() {
        PipOutput out = new PipOutput();
        String retry = "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by "
                + "'NewConnectionError(...: Failed to establish a new connection: [Errno -2] Name or service not known')': /simple/jax/";
        String first = out.condense(retry);
        assertTrue(first.contains("/simple/jax/") && first.contains("PIP_RETRIES=0"), first);
        assertNull(out.condense(retry.replace("total=4", "total=3")));
    }
}
