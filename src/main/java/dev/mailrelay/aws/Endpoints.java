package dev.mailrelay.aws;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLConnection;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Where the AWS calls may go, and how: https (TLS 1.2 or 1.3 only, whatever the JVM-wide
 * setting says: the Lambda runtime client re-enables TLS 1.0/1.1), or plain http to a loopback
 * address (DynamoDB Local, a stand-in) and, for credentials, to the container hosts the AWS SDKs
 * allow. Anything else would send signed requests or fetch credentials in the clear.
 */
public final class Endpoints {

    private static final String[] PROTOCOLS = { "TLSv1.3", "TLSv1.2" };
    /** ECS, EKS Pod Identity (IPv4, IPv6): the http container-credential hosts the AWS SDKs accept. */
    private static final Set<String> CONTAINER_HOSTS = Set.of("169.254.170.2", "169.254.170.23", "[fd00:ec2::23]");
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|\\[[0-9a-fA-F:.]+\\]");
    private static volatile SSLSocketFactory tls12;

    private Endpoints() {
    }

    /** Throws {@link IllegalStateException} naming {@code setting} unless the URI is https or loopback http. */
    public static URI checked(URI uri, String setting) {
        if (!allowed(uri, false)) {
            throw new IllegalStateException(setting + " must be an https:// URL (http:// only to a loopback address)");
        }
        return uri;
    }

    static boolean allowed(URI uri, boolean containerHosts) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            return !host.isEmpty();
        }
        return scheme.equals("http") && (loopback(host) || (containerHosts && CONTAINER_HOSTS.contains(host)));
    }

    private static boolean loopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        if (!IP_LITERAL.matcher(host).matches()) {
            return false; // a name could resolve anywhere; only literals are known to stay on the machine
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** Limits an https connection to TLS 1.2 and 1.3. */
    public static void restrictTls(URLConnection connection) {
        if (connection instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls12());
        }
    }

    private static SSLSocketFactory tls12() {
        SSLSocketFactory factory = tls12;
        if (factory == null) {
            try {
                factory = new Tls12(SSLContext.getDefault().getSocketFactory());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context", e);
            }
            tls12 = factory;
        }
        return factory;
    }

    /** Every socket it makes speaks TLS 1.2 or 1.3 only. */
    private static final class Tls12 extends SSLSocketFactory {
        private final SSLSocketFactory delegate;

        Tls12(SSLSocketFactory delegate) {
            this.delegate = delegate;
        }

        private Socket restrict(Socket socket) {
            if (socket instanceof SSLSocket ssl) {
                ssl.setEnabledProtocols(PROTOCOLS);
            }
            return socket;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return restrict(delegate.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket() throws IOException {
            return restrict(delegate.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return restrict(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return restrict(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return restrict(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return restrict(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
