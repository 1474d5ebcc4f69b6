# frozen_string_literal: true

require "intercom_sync/tasks"
require "stringio"

RSpec.describe IntercomSync::Tasks::Progress do
  let(:now) { [100.0] }
  let(:clock) { -> { now.first } }

  it "writes a plain line every `every` seconds when the output is not a terminal, flushing each" do
    out = StringIO.new
    expect(out).to receive(:flush).at_least(:once).and_call_original
    progress = described_class.build(out: out, total: 1000, every: 5, unit: "users", clock: clock)
    expect(progress).to be_a(described_class::Lines)
    now[0] = 102.0
    progress.advance(100)
    expect(out.string).to be_empty
    now[0] = 105.0
    progress.failed
    progress.advance(150)
    now[0] = 106.0
    progress.advance(10)
    progress.finish
    expect(out.string.lines(chomp: true)).to eq([
      "backfill: 250/1,000 users (25%), 50.0 users/s, ETA 0:00:15, 1 failed",
      "backfill: 260/1,000 users (26%), 43.3 users/s, ETA 0:00:17, 1 failed"
    ])
  end

  it "draws a bar with count, rate, ETA and failures on a terminal" do
    out = StringIO.new
    def out.tty? = true # (ruby-progressbar asks the stream too)
    progress = described_class.build(out: out, total: 10, every: 5, unit: "users", tty: true)
    expect(progress).to be_a(described_class::Bar)
    progress.advance(4)
    progress.failed
    progress.log("User 3 failed: why")
    progress.finish
    text = out.string
    expect(text).to include("User 3 failed: why\n")
    expect(text).to match(%r{4/10 users \|=+ +\| 40% [\d.]+ users/s, ETA: [\d?:]+, 1 failed})
    expect(text).to match(%r{10/10 users \|=+\| 100% [\d.]+ users/s, Time: \d\d:\d\d:\d\d, 1 failed\n\z})
  end
end
