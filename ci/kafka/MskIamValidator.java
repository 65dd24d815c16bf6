package kafkafinops.ci;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The test cluster's stand-in for Amazon MSK's IAM access control: a broker-side OAUTHBEARER callback handler that
 * accepts a token only if it is a SigV4-presigned {@code kafka-cluster:Connect} URL, signed with the one test key
 * this listener knows, for its region, and not expired. The signature is recomputed here from the AWS Signature
 * Version 4 specification (canonical request, string to sign, derived key), independently of the Rust signer and
 * of the AWS SDKs. A valid token authenticates as the configured principal, so the cluster's ACLs apply to it.
 *
 * <p>Options (the listener's JAAS entry): {@code finopsAccessKeyId}, {@code finopsSecretAccessKey}, {@code
 * finopsSessionToken} (optional: then the token must carry it), {@code finopsRegion}, {@code finopsPrincipal}.
 *
 * <p>{@code java -cp <kafka libs>:<classes> kafkafinops.ci.MskIamValidator <region> <key id> <secret> <session
 * token or -> <now epoch s>} reads a token on stdin and prints "valid" (exit 0) or why not (exit 1): the tests use
 * it to check tokens made by other signers (AWS's Python one) against the same rules.
 */
public class MskIamValidator implements AuthenticateCallbackHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MskIamValidator.class);
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    /** The most MSK accepts, and the signer libraries' default. */
    private static final long MAX_EXPIRES_S = 900;
    /** How far in the future a signing time may be (clock skew), as AWS allows. */
    private static final long MAX_SKEW_S = 300;
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private Rules rules;

    /** What a token must satisfy. */
    record Rules(String accessKeyId, String secret, String sessionToken, String region, String principal) {}

    /** Why a token is refused. */
    static final class Refused extends Exception {
        Refused(String why) {
            super(why);
        }
    }

    @Override
    public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> entries) {
        Map<String, ?> options = entries.get(0).getOptions();
        String session = (String) options.get("finopsSessionToken");
        rules = new Rules(
                required(options, "finopsAccessKeyId"),
                required(options, "finopsSecretAccessKey"),
                session == null || session.isEmpty() ? null : session,
                required(options, "finopsRegion"),
                required(options, "finopsPrincipal"));
    }

    private static String required(Map<String, ?> options, String name) {
        Object value = options.get(name);
        if (!(value instanceof String text) || text.isEmpty()) {
            throw new IllegalArgumentException("MskIamValidator: the JAAS option " + name + " is required");
        }
        return text;
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerValidatorCallback validation) {
                try {
                    validation.token(validate(validation.tokenValue(), rules, Instant.now()));
                } catch (Refused e) {
                    LOG.warn("MSK IAM token refused: {}", e.getMessage());
                    validation.error("invalid_token", null, null);
                }
            } else if (callback instanceof OAuthBearerExtensionsValidatorCallback extensions) {
                // MSK's tokens carry no SASL extensions; any that come are refused by name.
                extensions.inputExtensions().map().keySet().forEach(k -> extensions.error(k, "not expected"));
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    @Override
    public void close() {}

    /** The token's principal and lifetime, or why it is refused. */
    static OAuthBearerToken validate(String token, Rules rules, Instant now) throws Refused {
        String url;
        try {
            url = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Refused("not base64url: " + e.getMessage());
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new Refused("not a URL: " + e.getMessage());
        }
        String host = "kafka." + rules.region() + ".amazonaws.com";
        if (!"https".equals(uri.getScheme()) || !host.equals(uri.getHost()) || !"/".equals(uri.getRawPath())) {
            throw new Refused("expected https://" + host + "/, found " + uri.getScheme() + "://" + uri.getHost()
                    + uri.getRawPath());
        }
        Map<String, String> query = new TreeMap<>();
        for (String pair : (uri.getRawQuery() == null ? "" : uri.getRawQuery()).split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                throw new Refused("query parameter without a value: " + pair);
            }
            String name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            if (query.put(name, URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)) != null) {
                throw new Refused("query parameter twice: " + name);
            }
        }
        expect(query, "Action", "kafka-cluster:Connect");
        expect(query, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
        expect(query, "X-Amz-SignedHeaders", "host");
        String amzDate = get(query, "X-Amz-Date");
        Instant signedAt;
        try {
            signedAt = LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new Refused("X-Amz-Date " + amzDate + " is not yyyyMMddTHHmmssZ");
        }
        long expires;
        try {
            expires = Long.parseLong(get(query, "X-Amz-Expires"));
        } catch (NumberFormatException e) {
            throw new Refused("X-Amz-Expires is not a number");
        }
        if (expires < 1 || expires > MAX_EXPIRES_S) {
            throw new Refused("X-Amz-Expires " + expires + " is outside 1.." + MAX_EXPIRES_S);
        }
        if (signedAt.isAfter(now.plusSeconds(MAX_SKEW_S))) {
            throw new Refused("signed in the future (" + amzDate + ")");
        }
        Instant expiresAt = signedAt.plusSeconds(expires);
        if (!now.isBefore(expiresAt)) {
            throw new Refused("expired at " + expiresAt + " (signed " + amzDate + ", valid " + expires + " s)");
        }
        String scope = amzDate.substring(0, 8) + "/" + rules.region() + "/kafka-cluster/aws4_request";
        expect(query, "X-Amz-Credential", rules.accessKeyId() + "/" + scope);
        if (rules.sessionToken() != null) {
            expect(query, "X-Amz-Security-Token", rules.sessionToken());
        }
        String signature = get(query, "X-Amz-Signature");

        // SigV4: every query parameter but the signature is signed. The User-Agent is added after signing by the
        // signer libraries, so it is not part of what was signed.
        TreeMap<String, String> signed = new TreeMap<>();
        query.forEach((k, v) -> {
            if (!k.equals("X-Amz-Signature") && !k.equals("User-Agent")) {
                signed.put(encode(k), encode(v));
            }
        });
        StringBuilder canonicalQuery = new StringBuilder();
        signed.forEach((k, v) -> canonicalQuery.append(canonicalQuery.isEmpty() ? "" : "&").append(k).append('=')
                .append(v));
        String canonicalRequest = String.join("\n", "GET", "/", canonicalQuery, "host:" + host, "", "host",
                EMPTY_SHA256);
        String stringToSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope, hex(sha256(canonicalRequest)));
        byte[] key = hmac(("AWS4" + rules.secret()).getBytes(StandardCharsets.UTF_8), amzDate.substring(0, 8));
        key = hmac(key, rules.region());
        key = hmac(key, "kafka-cluster");
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, stringToSign));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII))) {
            throw new Refused("the signature does not match (not signed with this listener's test key)");
        }
        return new Token(token, rules.principal(), signedAt.toEpochMilli(), expiresAt.toEpochMilli());
    }

    private static String get(Map<String, String> query, String name) throws Refused {
        String value = query.get(name);
        if (value == null) {
            throw new Refused("no " + name);
        }
        return value;
    }

    private static void expect(Map<String, String> query, String name, String wanted) throws Refused {
        String value = get(query, name);
        if (!value.equals(wanted)) {
            throw new Refused(name + " is " + value + ", expected " + wanted);
        }
    }

    /** SigV4's URI encoding: unreserved characters as they are, every other byte as %XX (upper case). */
    static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-_.~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** An accepted token: the principal it authenticates as, and when it was signed and expires. */
    record Token(String value, String principalName, Long startTimeMs, long lifetimeMs) implements OAuthBearerToken {
        @Override
        public Set<String> scope() {
            return Set.of();
        }
    }

    /** Checks a token from stdin against the rules given as arguments; see the class comment. */
    public static void main(String[] args) throws java.io.IOException {
        if (args.length != 5) {
            System.err.println("usage: MskIamValidator <region> <access key id> <secret> <session token|-> <epoch s>");
            System.exit(2);
        }
        String session = args[3].equals("-") ? null : args[3];
        Rules rules = new Rules(args[1], args[2], session, args[0], "check");
        String token = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            validate(token, rules, Instant.ofEpochSecond(Long.parseLong(args[4])));
            System.out.println("valid");
        } catch (Refused e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(1);
        }
    }
}
