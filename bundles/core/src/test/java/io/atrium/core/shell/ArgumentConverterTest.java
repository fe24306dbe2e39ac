package io.atrium.core.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ArgumentConverterTest {
    @Test
    void convertsToPrimitivesBoxesEnumsAndDecimals() {
        assertEquals(42, ArgumentConverter.convert("42", int.class));
        assertEquals(42L, ArgumentConverter.convert(" 42 ", Long.class));
        assertEquals(true, ArgumentConverter.convert("TRUE", boolean.class));
        assertEquals('x', ArgumentConverter.convert("x", char.class));
        assertEquals(TimeUnit.SECONDS, ArgumentConverter.convert("seconds", TimeUnit.class));
        assertEquals(new BigDecimal("1.50"), ArgumentConverter.convert("1.50", BigDecimal.class));
        assertEquals("as is", ArgumentConverter.convert("as is", String.class));
    }

    @Test
    void badValuesNameTheExpectedType() {
        assertEquals("expected int, got 'ten'",
                assertThrows(IllegalArgumentException.class, () -> ArgumentConverter.convert("ten", int.class)).getMessage());
        assertEquals("expected true or false",
                assertThrows(IllegalArgumentException.class, () -> ArgumentConverter.convert("yes", Boolean.class)).getMessage());
        assertEquals("parameters of type java.lang.Thread cannot be given from the shell",
                assertThrows(IllegalArgumentException.class, () -> ArgumentConverter.convert("t", Thread.class)).getMessage());
    }
}
