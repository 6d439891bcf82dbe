package dev.streaminglstm.sandbox;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** The calls of Linux's libc the embedded stack makes through JNA; JNA keeps each call's errno. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    /** {@code sysconf}'s name of the clock ticks a second that {@code /proc} counts CPU time in. */
    int SC_CLK_TCK = 2;

    int setpriority(int which, int who, int prio);

    long sysconf(int name);
}
