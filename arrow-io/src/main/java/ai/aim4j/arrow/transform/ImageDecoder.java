package ai.aim4j.arrow.transform;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import javax.imageio.ImageIO;

/** Decodes encoded images (PNG, JPEG, BMP, GIF, ...) with the JDK's ImageIO into HWC bytes. */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** Decodes {@code bytes}; gray images stay one channel, everything else becomes RGB (alpha dropped). */
    public static Image decode(byte[] bytes) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        if (img == null) {
            throw new IOException("not a decodable image (" + bytes.length + " bytes)");
        }
        return fromBuffered(img);
    }

    static Image fromBuffered(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        Raster r = img.getRaster();
        boolean gray = img.getColorModel().getNumComponents() == 1 && r.getNumBands() == 1;
        int c = gray ? 1 : 3;
        byte[] out = new byte[h * w * c];
        if (gray && r.getSampleModel().getSampleSize(0) == 8) {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (byte) row[x];
                }
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < h * w; i++) {
                int p = argb[i];
                if (gray) {
                    out[i] = (byte) (p & 0xff);
                } else {
                    out[3 * i] = (byte) (p >> 16);
                    out[3 * i + 1] = (byte) (p >> 8);
                    out[3 * i + 2] = (byte) p;
                }
            }
        }
        return new Image(h, w, c, MemorySegment.ofArray(out));
    }
}
