package io.atrium.core.facade;

/** A type only IsolatedContract's loader sees, in FacadeClassTest. */
public final class IsolatedPayload {
    public final String text;

    public IsolatedPayload(String text) {
        this.text = text;
    }
}
