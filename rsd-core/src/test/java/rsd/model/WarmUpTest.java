package rsd.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import rsd.testing.HistoryModel;

class WarmUpTest {
    /** Records the width of every forward. */
    static final class Widths extends HistoryModel {
        final Set<Integer> widths = new TreeSet<>();
        private final int context;

        Widths(int context) {
            super(16);
            this.context = context;
        }

        @Override
        public float[] logitsAfter(List<Integer> history) {
            return new float[vocab];
        }

        @Override
        protected void spend(int tokens) {
            widths.add(tokens);
        }

        @Override
        public int contextLength() {
            return context;
        }

        @Override
        public String name() {
            return "widths";
        }
    }

    @Test
    void runsEveryWidthAtLeastOnce() {
        Widths m = new Widths(4096);
        m.warmUp(9, 0);
        assertThat(m.widths).containsAll(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
        assertThat(m.forwardCalls).isGreaterThanOrEqualTo(9);
    }

    @Test
    void fitsASmallContext() {
        Widths m = new Widths(6);
        m.warmUp(16, 0);
        assertThat(m.widths).isNotEmpty();
        assertThat(m.widths.stream().mapToInt(Integer::intValue).max().orElseThrow()).isLessThanOrEqualTo(5);
    }
}
