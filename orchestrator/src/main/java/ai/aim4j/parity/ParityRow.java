package ai.aim4j.parity;

/** One compared tensor: which weights and precision, which reference, its error and bound. */
public record ParityRow(String weights, String precision, String output, String reference, String shape,
                        double maxAbsError, double maxAbsRef, double bound) {
    public boolean passed() {
        return maxAbsError <= bound;
    }
}
