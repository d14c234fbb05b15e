package ai.aim4j.model.nn;

/**
 * The fixed 2-D sin-cos position table of AIM (and MAE): with {@code q = D/4} and
 * {@code omega_k = 1 / 10000^(k/q)}, token {@code (r, c)} gets
 * {@code [sin(c omega), cos(c omega), sin(r omega), cos(r omega)]}: the first half of the channels
 * encodes the column, the second half the row.
 */
public final class SinCos2d {
    private SinCos2d() {}

    /** The table as row-major {@code (gh * gw, dim)} values, computed in double precision. */
    public static double[] table(int gh, int gw, int dim) {
        if (dim % 4 != 0) {
            throw new IllegalArgumentException("sin-cos table width " + dim + " is not a multiple of 4");
        }
        int q = dim / 4;
        double[] omega = new double[q];
        for (int k = 0; k < q; k++) {
            omega[k] = 1.0 / Math.pow(10000.0, (double) k / q);
        }
        double[] out = new double[gh * gw * dim];
        for (int r = 0; r < gh; r++) {
            for (int c = 0; c < gw; c++) {
                int base = (r * gw + c) * dim;
                for (int k = 0; k < q; k++) {
                    out[base + k] = Math.sin(c * omega[k]);
                    out[base + q + k] = Math.cos(c * omega[k]);
                    out[base + 2 * q + k] = Math.sin(r * omega[k]);
                    out[base + 3 * q + k] = Math.cos(r * omega[k]);
                }
            }
        }
        return out;
    }
}
