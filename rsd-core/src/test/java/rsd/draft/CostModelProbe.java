package rsd.draft;

/** Test-side access to an uncached calibration, for developer measurements. */
public final class CostModelProbe {
    private CostModelProbe() {
    }

    public static CostModel measureNow(rsd.model.LanguageModel model) {
        return CostModel.measureUncached(model);
    }
}
