# frozen_string_literal: true

# A document may hold at most 2^18 values (issue 9, finding 7): each value costs the C core
# about 40 bytes, so a 10 MB answer of tiny values used to take 300 MB. The largest real
# answer, a page of 150 contacts, holds some 50,000. bench/json_memory.rb measures the memory.
RSpec.describe "JSON documents past the value bound" do
  let(:bound) { 1 << 18 }

  def array_of(values)
    "[#{Array.new(values - 1, '0').join(',')}]"
  end

  it "parses a document of exactly 2^18 values" do
    expect(IntercomSync::Native.parse_json(array_of(bound)).size).to eq(bound - 1)
  end

  it "refuses one value more with ResponseTooLargeError" do
    expect { IntercomSync::Native.parse_json(array_of(bound + 1)) }
      .to raise_error(IntercomSync::ResponseTooLargeError, /more than 262144 values/)
  end

  it "refuses an answer of 5 million zeros (10 MB, under max_response_bytes) without retrying it" do
    emulator.inject(:body, body: array_of(5_000_000))
    c = IntercomSync::Client.new(access_token: emulator.token, base_url: emulator.base_url, pace: false)
    expect { c.get("/data_attributes") }.to raise_error(IntercomSync::ResponseTooLargeError)
    expect(emulator.requests.size).to eq(1)
  end
end
