# frozen_string_literal: true

desc "Soak: sync USERS users (default 2000) on THREADS threads through an emulator that throttles " \
     "(RATE_LIMIT per WINDOW seconds) and injects faults into FAULT_RATE of requests"
task soak: :compile do
  ruby "-Ilib", "bench/soak.rb"
end
