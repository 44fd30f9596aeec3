package dev.mailrelay;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * A profile that starts its own SMTP server (and whatever else it lists) in place of the one every
 * other test shares: Quarkus would otherwise start both, and the two would fight over smtp.*.
 */
public abstract class OwnSmtpServerProfile implements QuarkusTestProfile {

    @Override
    public boolean disableGlobalTestResources() {
        return true;
    }

    static TestResourceEntry smtpServer(Map<String, String> args) {
        return new TestResourceEntry(SmtpServerResource.class, args, true);
    }
}
