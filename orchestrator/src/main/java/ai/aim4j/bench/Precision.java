package ai.aim4j.bench;

/** The arithmetic precision a benchmark row runs at. */
public enum Precision {
    FP32("fp32"),
    BF16("bf16");

    private final String label;

    Precision(String label) {
        this.label = label;
    }

    /** The precision a peer's JSON names ({@code fp32}, {@code bf16}). */
    public static Precision of(String label) {
        for (Precision p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision " + label);
    }

    @Override
    public String toString() {
        return label;
    }
}
