package dev.mailrelay;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every line the relay logs while it is open ("logger message [exception]"), the bare JSON lines of
 * dev.mailrelay.delivery included, and none of the test's own SMTP server.
 */
final class LogCapture extends Handler implements AutoCloseable {

    private static final String[] LOGGERS = { "", "dev.mailrelay.delivery" };
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    static LogCapture start() {
        LogCapture capture = new LogCapture();
        for (String logger : LOGGERS) {
            Logger.getLogger(logger).addHandler(capture);
        }
        return capture;
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void publish(LogRecord record) {
        if (!record.getLoggerName().startsWith("org.subethamail")) {
            lines.add(record.getLoggerName() + " " + formatter.formatMessage(record)
                    + (record.getThrown() == null ? "" : " " + record.getThrown()));
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        for (String logger : LOGGERS) {
            Logger.getLogger(logger).removeHandler(this);
        }
    }
}
