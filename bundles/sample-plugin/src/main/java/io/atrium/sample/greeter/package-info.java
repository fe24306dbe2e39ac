package io.atrium.sample.greeter;
