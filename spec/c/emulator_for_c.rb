# frozen_string_literal: true

# Starts an emulator for the C driver's HTTP tests (spec/c/test_http.c) with a fixed fault on
# each /c/ path, prints its URL, and runs until its standard input closes.
require "intercom_sync/emulator"

emulator = IntercomSync::Emulator.start
{
  "/c/malformed" => [:malformed_json, {}],
  "/c/html" => [:html, { status: 502 }],
  "/c/empty" => [:empty_body, {}],
  "/c/oversize" => [:oversize, { bytes: 200_000 }],
  "/c/oversize-stream" => [:oversize, { bytes: 200_000, stream: true }],
  "/c/truncate" => [:truncate, {}],
  "/c/reset" => [:reset, {}],
  "/c/stall" => [:stall, { seconds: 20 }],
  "/c/slow" => [:latency, { seconds: 2 }]
}.each { |path, (kind, options)| emulator.inject(kind, path: path, **options) }
$stdout.puts emulator.base_url
$stdout.flush
$stdin.read
emulator.stop
