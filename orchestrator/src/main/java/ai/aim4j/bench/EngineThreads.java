package ai.aim4j.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The threads aim4j's libtorch computes with, as libtorch itself counts them. The benchmarks give the
 * peers the same number and name it in their tables: libtorch's default follows its own rules (the
 * physical cores of the CPUs this process may use, or {@code OMP_NUM_THREADS}), which need not be
 * the JVM's processor count, e.g. on a machine with SMT.
 */
public final class EngineThreads {
    private EngineThreads() {}

    /** libtorch's intra-op thread count in this process. */
    public static int count() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}
