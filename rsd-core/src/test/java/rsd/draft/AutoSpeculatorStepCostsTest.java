package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class AutoSpeculatorStepCostsTest {
    static final CostModel CURVE = CostModel.of(new int[] {1, 2, 4, 8, 16}, new double[] {1, 1.1, 1.3, 1.8, 3.0});

    @Test
    void theCalibratedCurveHoldsUntilAWidthHasBeenSeenOften() {
        AutoSpeculator.StepCosts costs = new AutoSpeculator.StepCosts(CURVE);
        for (int i = 0; i < AutoSpeculator.StepCosts.MIN_SEEN - 1; i++) {
            costs.observe(1, 2.0);
            costs.observe(4, 8.0);
        }
        assertThat(costs.cost(4)).isEqualTo(CURVE.cost(4));
        costs.observe(1, 2.0);
        costs.observe(4, 8.0);
        assertThat(costs.cost(4)).isCloseTo(4.0, within(1e-9)); // 8 ms against a 2 ms plain step
        assertThat(costs.cost(1)).isEqualTo(1.0);
    }

    @Test
    void widerUnseenWidthsCarryTheCorrectionOfTheNearestNarrowerSeenOneAndNarrowerOnesKeepTheCurve() {
        AutoSpeculator.StepCosts costs = new AutoSpeculator.StepCosts(CURVE);
        for (int i = 0; i < AutoSpeculator.StepCosts.MIN_SEEN; i++) {
            costs.observe(1, 2.0);
            costs.observe(4, 5.2); // 2.6 = twice the calibrated 1.3
        }
        assertThat(costs.cost(8)).isCloseTo(CURVE.cost(8) * 2.0, within(1e-9));
        assertThat(costs.cost(3)).isEqualTo(CURVE.cost(3));
    }

    @Test
    void withoutPlainStepsTheCalibratedOneTokenForwardIsTheYardstick() {
        AutoSpeculator.StepCosts costs = new AutoSpeculator.StepCosts(CURVE.withForwardMillis(2.0));
        for (int i = 0; i < AutoSpeculator.StepCosts.MIN_SEEN; i++) {
            costs.observe(2, 3.0);
            costs.observe(3, 1.0);
        }
        assertThat(costs.cost(2)).isCloseTo(1.5, within(1e-9));
        assertThat(costs.cost(3)).isCloseTo(1.51, within(1e-9)); // measured at 1.0: held above width 2
        AutoSpeculator.StepCosts unknown = new AutoSpeculator.StepCosts(CURVE); // no one-token time known
        for (int i = 0; i < AutoSpeculator.StepCosts.MIN_SEEN; i++) {
            unknown.observe(2, 3.0);
        }
        assertThat(unknown.cost(2)).isEqualTo(CURVE.cost(2));
    }

    @Test
    void aNoisyMeasurementNeverMakesAWiderStepCheaperThanANarrowerOne() {
        AutoSpeculator.StepCosts costs = new AutoSpeculator.StepCosts(CURVE);
        for (int i = 0; i < AutoSpeculator.StepCosts.MIN_SEEN; i++) {
            costs.observe(1, 2.0);
            costs.observe(4, 6.0);
            costs.observe(5, 5.0); // faster than width 4: noise
        }
        assertThat(costs.cost(4)).isCloseTo(3.0, within(1e-9));
        assertThat(costs.cost(5)).isCloseTo(3.01, within(1e-9));
        for (int t = 2; t <= 12; t++) {
            assertThat(costs.cost(t)).isGreaterThanOrEqualTo(costs.cost(t - 1) + 0.01 - 1e-12);
        }
    }

    @Test
    void theRunningMeanForgetsOldTimes() {
        AutoSpeculator.StepCosts costs = new AutoSpeculator.StepCosts(CURVE);
        for (int i = 0; i < 200; i++) {
            costs.observe(1, 1.0);
            costs.observe(2, i < 100 ? 1.0 : 3.0);
        }
        assertThat(costs.cost(2)).isCloseTo(3.0, within(1e-3));
    }
}
