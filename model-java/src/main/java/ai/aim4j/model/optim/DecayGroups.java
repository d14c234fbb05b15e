package ai.aim4j.model.optim;

import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Which parameters get weight decay: every one whose name matches none of the exclusion patterns,
 * matched shell-style ({@code fnmatch}) and case-sensitively against the full name, as ml-l3m's
 * {@code get_param_groups}. The recipe excludes {@code *bias*}, {@code *pos_embed*}, {@code *norm*}
 * and {@code *gamma*}: biases, position tables and every LayerNorm.
 */
public final class DecayGroups implements Predicate<String> {
    /** The recipe's exclusions: biases, position tables and LayerNorms (and layer-scale gammas). */
    public static final List<String> RECIPE_EXCLUDES = List.of("*bias*", "*pos_embed*", "*norm*", "*gamma*");
    private final List<Pattern> excludes;

    /** Decay for every name matching none of {@code globs} ({@code *} any run of characters, {@code ?} one). */
    public DecayGroups(List<String> globs) {
        this.excludes = globs.stream().map(DecayGroups::glob).toList();
    }

    /** True when {@code name} is decayed. */
    @Override
    public boolean test(String name) {
        return excludes.stream().noneMatch(p -> p.matcher(name).matches());
    }

    /** fnmatch's translation: {@code *} any run, {@code ?} one character, {@code [..]} a class. */
    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int end = glob.indexOf(']', i + 1);
                    if (end < 0) {
                        re.append("\\[");
                    } else {
                        String cls = glob.substring(i + 1, end);
                        re.append('[').append(cls.startsWith("!") ? "^" + cls.substring(1) : cls).append(']');
                        i = end;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
