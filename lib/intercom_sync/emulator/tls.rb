# frozen_string_literal: true

require "openssl"
require "tmpdir"

module IntercomSync
  class Emulator
    # A throwaway certificate authority and server certificate, so the emulator can serve
    # https:// and a client can be pointed at the CA file (or shown to refuse the server).
    module TLS
      Bundle = Struct.new(:ca_cert, :ca_file, :cert, :key, keyword_init: true) do
        def ssl_context
          ctx = OpenSSL::SSL::SSLContext.new
          ctx.cert = cert
          ctx.key = key
          ctx.min_version = OpenSSL::SSL::TLS1_2_VERSION
          ctx
        end
      end

      module_function

      # hosts: the names and IPs the server certificate is valid for.
      def generate(hosts: ["localhost", "127.0.0.1"], dir: Dir.mktmpdir("intercom-emulator-tls"))
        ca_key = OpenSSL::PKey::EC.generate("prime256v1")
        ca = certificate(subject: "/CN=intercom_sync emulator CA", key: ca_key, issuer_key: ca_key) do |cert, ext|
          cert.add_extension(ext.create_extension("basicConstraints", "CA:TRUE", true))
          cert.add_extension(ext.create_extension("keyUsage", "keyCertSign, cRLSign", true))
        end
        key = OpenSSL::PKey::EC.generate("prime256v1")
        san = hosts.map { |h| h.match?(/\A[\d.]+\z|:/) ? "IP:#{h}" : "DNS:#{h}" }.join(",")
        cert = certificate(subject: "/CN=#{hosts.first}", key: key, issuer_key: ca_key, issuer: ca) do |c, ext|
          c.add_extension(ext.create_extension("subjectAltName", san, false))
          c.add_extension(ext.create_extension("extendedKeyUsage", "serverAuth", false))
        end
        ca_file = File.join(dir, "ca.pem")
        File.write(ca_file, ca.to_pem)
        Bundle.new(ca_cert: ca, ca_file: ca_file, cert: cert, key: key)
      end

      def certificate(subject:, key:, issuer_key:, issuer: nil)
        cert = OpenSSL::X509::Certificate.new
        cert.version = 2
        cert.serial = OpenSSL::BN.rand(64)
        cert.subject = OpenSSL::X509::Name.parse(subject)
        cert.issuer = issuer ? issuer.subject : cert.subject
        cert.public_key = key.is_a?(OpenSSL::PKey::EC) ? key : key.public_key
        cert.not_before = Time.now - 60
        cert.not_after = Time.now + 86_400
        ext = OpenSSL::X509::ExtensionFactory.new
        ext.subject_certificate = cert
        ext.issuer_certificate = issuer || cert
        yield cert, ext
        cert.sign(issuer_key, OpenSSL::Digest.new("SHA256"))
        cert
      end
    end
  end
end
