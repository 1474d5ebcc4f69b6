# frozen_string_literal: true

desc "Benchmark against the official intercom gem (RTT=50 USERS=40 BULK_USERS=320 ...; see bench/bench.rb)"
task bench: :compile do
  ruby "bench/bench.rb"
end
