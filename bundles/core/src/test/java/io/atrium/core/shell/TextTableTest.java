package io.atrium.core.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TextTableTest {
    @Test
    void columnsAreAlignedToTheWidestCellAndLinesHaveNoTrailingBlanks() {
        String table = new TextTable("NAME", "STATE").row("english", "active").row("uz", null).toString();
        assertEquals("NAME     STATE\nenglish  active\nuz\n", table);
    }

    @Test
    void aRowOfTheWrongWidthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TextTable("A", "B").row("only one"));
    }
}
