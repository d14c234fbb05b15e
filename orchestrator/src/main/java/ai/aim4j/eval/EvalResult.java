package ai.aim4j.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What an evaluation measured ({@code OUT/eval.json}).
 *
 * @param images    images evaluated
 * @param top1      top-1 accuracy
 * @param top5      top-5 accuracy (top-k for fewer classes)
 * @param loss      mean cross-entropy
 * @param perClass  accuracy of each true class
 * @param confusion counts by true class (rows) and predicted class (columns)
 */
public record EvalResult(@JsonProperty("images") long images, @JsonProperty("top1") double top1, @JsonProperty("top5") double top5,
                         @JsonProperty("loss") double loss, @JsonProperty("per_class") List<ClassAccuracy> perClass,
                         @JsonProperty("confusion") long[][] confusion) {
    /** One class's images and accuracy (NaN without images). */
    public record ClassAccuracy(@JsonProperty("class") int label, @JsonProperty("name") String name, @JsonProperty("images") long images,
                                @JsonProperty("top1") double top1) {}
}
