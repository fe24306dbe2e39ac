package io.atrium.core.facade;

/** A contract FacadeClassTest loads in a loader of its own, as a plugin's bundle would: see there. */
public interface IsolatedContract {
    IsolatedPayload echo(IsolatedPayload payload);
}
