package io.atrium.sample.uzbek;
