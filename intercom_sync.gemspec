# frozen_string_literal: true

require_relative "lib/intercom_sync/version"

Gem::Specification.new do |spec|
  spec.name = "intercom_sync"
  spec.version = IntercomSync::VERSION
  spec.authors = ["intercom_sync developers"]
  spec.summary = "Keeps Rails users and teams in step with Intercom (API 2.x), with a C core on libcurl and yajl"
  spec.description = <<~DESC
    A native extension that syncs an app's users and teams into Intercom contacts and companies
    over the current REST API (2.x): libcurl for HTTP with connection reuse, yajl for JSON, typed
    errors, and an Intercom API emulator for testing apps without a network.
  DESC
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.1"

  spec.files = Dir["lib/**/*.{rb,rake,tt}", "app/**/*.rb", "exe/*", "ext/intercom_sync/*.{c,h,def,rb}", "README.md", "LICENSE"]
  spec.bindir = "exe"
  spec.executables = ["intercom-emulator", "intercom-sync-build"]
  spec.require_paths = ["lib"]
  spec.extensions = ["ext/intercom_sync/extconf.rb"]

  # the backfill task's progress bar (count, rate, ETA) on a terminal
  spec.add_dependency "ruby-progressbar", "~> 1.13"

  spec.metadata["rubygems_mfa_required"] = "true"
end
