# frozen_string_literal: true

require "net/http"
require "json"

# A fresh emulator (a real HTTP server on 127.0.0.1) for each example that asks for one.
module EmulatorHelpers
  def self.included(base)
    base.extend(ClassMethods)
  end

  module ClassMethods
    def emulator_options(**options)
      define_method(:emulator_options) { options }
    end
  end

  def emulator_options
    {}
  end

  def emulator
    @emulator ||= IntercomSync::Emulator.start(**emulator_options)
  end

  # A client that reports every failure as it happens: no retries, no pacing, 429s raise.
  # (spec/intercom_sync/retries_spec.rb covers those.)
  def client(**options)
    IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, max_retries: 0,
                             rate_limit: :raise, pace: false, **options)
  end

  # A raw request through Net::HTTP, independent of the gem's client, for emulator specs that
  # need full control of headers. Returns [status, parsed body or raw string, headers].
  def raw_request(method, path, body: nil, token: emulator.token, headers: {})
    uri = URI("#{emulator.base_url}#{path}")
    req = Net::HTTP.const_get(method.to_s.capitalize).new(uri)
    req["Authorization"] = "Bearer #{token}" if token
    req["Accept"] = "application/json"
    req["Intercom-Version"] = "2.16"
    headers.each { |k, v| v.nil? ? req.delete(k) : req[k] = v }
    if body
      req["Content-Type"] = "application/json"
      req.body = body.is_a?(String) ? body : JSON.generate(body)
    end
    res = Net::HTTP.start(uri.host, uri.port) { |http| http.request(req) }
    parsed = begin
      JSON.parse(res.body.to_s)
    rescue JSON::ParserError
      res.body
    end
    [res.code.to_i, parsed, res.each_header.to_h]
  end
end

RSpec.configure do |config|
  config.after(:each) { @emulator&.stop }
end
