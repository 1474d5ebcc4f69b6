# frozen_string_literal: true

require "stringio"

RSpec.describe IntercomSync::RedactingLogger do
  let(:io) { StringIO.new }
  let(:config) { IntercomSync::Configuration.new("INTERCOM_ACCESS_TOKEN" => "tok_abcdef123") }
  let(:logger) { described_class.new(Logger.new(io, level: Logger::INFO), config) }

  it "replaces the token in every form of call" do
    logger.warn("a tok_abcdef123 b")
    logger.info { "block tok_abcdef123" }
    logger.error(IntercomSync::Error.new("raised tok_abcdef123"))
    logger.add(Logger::ERROR, "added tok_abcdef123")
    logger.add(Logger::ERROR) { "added in a block tok_abcdef123" }
    logger << "appended tok_abcdef123\n"
    expect(io.string).not_to include("tok_abcdef123")
    expect(io.string.scan("[FILTERED]").size).to eq(6)
  end

  it "keeps the wrapped logger's level, without evaluating blocks below it" do
    evaluated = false
    logger.debug { evaluated = true }
    expect([logger.level, logger.debug?, evaluated, io.string]).to eq([Logger::INFO, false, false, ""])
  end

  it "wraps any logger the app gives" do
    config.logger = Logger.new(io)
    config.logger.warn("given tok_abcdef123")
    expect(io.string).to include("given [FILTERED]")
    expect(config.logger).to be_a(described_class)
  end

  it "is the default logger inside Rails, around Rails.logger" do
    rails = Module.new { def self.logger = @logger ||= Logger.new(StringIO.new) }
    stub_const("Rails", rails)
    expect(config.logger).to be_a(described_class)
    expect(config.logger.__getobj__).to be(Rails.logger)
  end

  it "does not redact a line the wrapped logger drops" do
    redactor = Class.new do
      attr_reader :calls

      def redact(text)
        (@calls ||= []) << text
        text
      end
    end.new
    logger = described_class.new(Logger.new(StringIO.new, level: Logger::WARN), redactor)
    logger.debug("dropped")
    logger.info { "dropped" }
    logger.add(Logger::DEBUG, "dropped")
    logger.warn("kept")
    expect(redactor.calls).to eq(["kept"])
  end

end
