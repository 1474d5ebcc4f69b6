# frozen_string_literal: true

require "open3"

# subprocess: runs other programs, which valgrind would trace and report on
RSpec.describe "the native extension", subprocess: true do
  let(:so_path) { $LOADED_FEATURES.grep(%r{intercom_sync/intercom_sync_ext\.so\z}).first }

  it "is loaded from the gem's namespace" do
    expect(so_path).to end_with("lib/intercom_sync/intercom_sync_ext.so")
  end

  it "exports only its Init function" do
    out, status = Open3.capture2("nm", "-D", "--defined-only", so_path)
    expect(status).to be_success
    exported = out.lines.map { |l| l.split.last }.reject { |s| s.start_with?("_") }
    expect(exported).to eq(["Init_intercom_sync_ext"])
  end

  it "reports the libcurl it was linked with" do
    expect(IntercomSync::Native::LIBCURL_VERSION).to match(/\A\d+\.\d+\.\d+/)
    expect(Gem::Version.new(IntercomSync::Native::LIBCURL_VERSION)).to be >= Gem::Version.new("7.68.0")
  end
end
