package rsd.testing;

/**
 * Pearson's chi-square goodness-of-fit test, with the p-value from the regularised upper incomplete
 * gamma function (series for small x, continued fraction otherwise).
 */
public final class ChiSquare {
    private ChiSquare() {
    }

    /** Statistic and degrees of freedom; bins whose expected count is below 5 are pooled into one. */
    public record Result(double statistic, int degreesOfFreedom, double pValue) {
    }

    public static Result test(long[] observed, double[] probabilities) {
        long total = 0;
        for (long o : observed) {
            total += o;
        }
        double stat = 0;
        int bins = 0;
        double pooledExpected = 0;
        long pooledObserved = 0;
        for (int i = 0; i < observed.length; i++) {
            double e = probabilities[i] * total;
            if (e < 5) {
                pooledExpected += e;
                pooledObserved += observed[i];
                continue;
            }
            stat += (observed[i] - e) * (observed[i] - e) / e;
            bins++;
        }
        if (pooledExpected > 0 || pooledObserved > 0) {
            // An outcome of probability 0 that occurs is an infinite deviation: the test must fail.
            double e = Math.max(pooledExpected, 1e-9);
            stat += (pooledObserved - e) * (pooledObserved - e) / e;
            bins++;
        }
        int df = Math.max(1, bins - 1);
        return new Result(stat, df, upperRegularisedGamma(df / 2.0, stat / 2.0));
    }

    static double upperRegularisedGamma(double a, double x) {
        if (x <= 0) {
            return 1.0;
        }
        if (x < a + 1) {
            double sum = 1.0 / a;
            double term = sum;
            for (int n = 1; n < 10_000; n++) {
                term *= x / (a + n);
                sum += term;
                if (Math.abs(term) < Math.abs(sum) * 1e-15) {
                    break;
                }
            }
            return 1.0 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
        }
        // Lentz's continued fraction for Q(a, x).
        double tiny = 1e-300;
        double b = x + 1 - a;
        double c = 1 / tiny;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 10_000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            d = Math.abs(d) < tiny ? tiny : d;
            c = b + an / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
    }

    /** Lanczos approximation (g = 7, n = 9). */
    static double logGamma(double x) {
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        x -= 1;
        double a = c[0];
        double t = x + 7.5;
        for (int i = 1; i < 9; i++) {
            a += c[i] / (x + i);
        }
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }
}
