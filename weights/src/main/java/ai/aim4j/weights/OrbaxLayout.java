package ai.aim4j.weights;

/** How an orbax PyTree checkpoint stores its arrays, as its {@code _METADATA} declares. */
public enum OrbaxLayout {
    /** The plain layout ({@code use_ocdbt=False}): one zarr v2 folder per array; read and written in Java. */
    ZARR2("plain (zarr v2 folder per array, zstd chunks)"),
    /** The plain layout with {@code use_zarr3=True}: zarr v3 sharded arrays; read through Python. */
    ZARR3("plain zarr v3 (read through the Python worker)"),
    /** orbax's default: every array in one OCDBT key-value store; read through Python. */
    OCDBT("OCDBT (orbax's default; read through the Python worker)");

    private final String description;

    OrbaxLayout(String description) {
        this.description = description;
    }

    /** The layout in words, as {@code aim4j inspect} shows it. */
    public String description() {
        return description;
    }
}
