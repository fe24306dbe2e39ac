package io.atrium.core.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ResolutionDiagnosisTest {
    @Test
    void bndFiltersReadAsRanges() {
        assertEquals("[2.0.0,3.0.0)", ResolutionDiagnosis.range(
                "(&(osgi.wiring.package=io.atrium.api.greeting)(version>=2.0.0)(!(version>=3.0.0)))"));
        assertEquals("[1.1.0,1.2.0]", ResolutionDiagnosis.range("(&(osgi.wiring.package=p)(version>=1.1.0)(version<=1.2.0))"));
        assertEquals("1.0.0 or later", ResolutionDiagnosis.range("(&(osgi.wiring.package=p)(version>=1.0.0))"));
        assertEquals("(any version)", ResolutionDiagnosis.range("(osgi.wiring.package=p)"));
    }
}
