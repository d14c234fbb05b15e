package ai.aim4j.interop.pickle;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint whose pickle asks for something a state dict never needs; nothing of it was executed. */
public class UnsafePickleException extends IOException {
    public UnsafePickleException(Path file, String what) {
        super(file + ": refused to load: " + what + " (only the globals of a PyTorch state dict are allowed; nothing from the file was executed)");
    }
}
