package dev.streaminglstm.job.training;

import java.util.ArrayList;
import java.util.List;

/**
 * Which ready windows form the next training batch. A stream has at most one window in the batch (its next window
 * needs the state this one produces); a stream with more ready windows keeps them pending, and after each step its
 * next window joins the new batch at once, in the order of the batch before, so a backlogged stream is in every
 * batch until its backlog is trained and other streams' windows fill the other places. The batch is trained when
 * full, when a flush is due, before a checkpoint barrier (unless disabled) and at the end of input.
 */
public final class WindowBatcher {
    /** Delay of the flush timer while the batch holds continuation windows of backlogged streams. */
    static final long BACKLOG_FLUSH_MS = 1;

    private final int batchSize;
    private final long flushMs;
    private List<TokenWindow> windows = new ArrayList<>();

    /**
     * @param batchSize windows per full batch
     * @param flushMs a partly filled batch is trained after about this many ms; 0 for only when full
     */
    public WindowBatcher(int batchSize, long flushMs) {
        this.batchSize = batchSize;
        this.flushMs = flushMs;
    }

    /** Adds a stream's next window; the stream must have none in the batch. */
    public void add(TokenWindow window) {
        windows.add(window);
    }

    /** Whether the batch holds a full batch of windows. */
    public boolean full() {
        return windows.size() >= batchSize;
    }

    public boolean isEmpty() {
        return windows.isEmpty();
    }

    public int size() {
        return windows.size();
    }

    /** The windows of the batch, leaving it empty. */
    public List<TokenWindow> take() {
        List<TokenWindow> batch = windows;
        windows = new ArrayList<>();
        return batch;
    }

    /** The streams whose windows are in the batch, in order (what a checkpoint keeps of it). */
    public List<String> streamIds() {
        return windows.stream().map(TokenWindow::streamId).toList();
    }

    /** Whether a flush timer runs at all. */
    public boolean flushes() {
        return flushMs > 0;
    }

    /** When the next flush is due, in ms: sooner while backlogged streams' continuation windows wait. */
    public long nextFlushDelayMs() {
        return windows.isEmpty() ? flushMs : BACKLOG_FLUSH_MS;
    }
}
