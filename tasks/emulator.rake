# frozen_string_literal: true

desc "Run the Intercom emulator on 127.0.0.1 (PORT=4010 TOKEN=emulator-token RATE_LIMIT=1666)"
task :emulator do
  args = ["--port", ENV.fetch("PORT", "4010"), "--token", ENV.fetch("TOKEN", "emulator-token")]
  args += ["--rate-limit", ENV["RATE_LIMIT"]] if ENV["RATE_LIMIT"]
  ruby "-Ilib", "exe/intercom-emulator", *args
end
