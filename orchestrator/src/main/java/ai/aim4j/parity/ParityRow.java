package ai.aim4j.parity;

/**
 * One compared tensor: which weights and precision, which reference, and its worst element: the one
 * whose error is the largest fraction of its bound (or, under a whole-tensor tolerance, the
 * root-mean-square error and its bound).
 *
 * @param error     that element's absolute error (or the root-mean-square error)
 * @param maxAbsRef the reference tensor's largest magnitude
 * @param bound     that element's bound (or the bound of the root-mean-square error)
 */
public record ParityRow(String weights, String precision, String output, String reference, String shape,
                        double error, double maxAbsRef, double bound) {
    public boolean passed() {
        return error <= bound;
    }

    /** The error as a fraction of its bound (above 1 fails). */
    public double fractionOfBound() {
        return error / bound;
    }
}
