# frozen_string_literal: true

RSpec.describe "IntercomSync::Native JSON codec" do
  let(:native) { IntercomSync::Native }

  describe ".parse_json" do
    it "decodes every JSON type" do
      doc = native.parse_json('{"s":"x","i":-42,"f":2.5,"e":1e3,"t":true,"n":null,"a":[1,[2]],"o":{"k":false}}')
      expect(doc).to eq("s" => "x", "i" => -42, "f" => 2.5, "e" => 1000.0, "t" => true, "n" => nil,
                        "a" => [1, [2]], "o" => { "k" => false })
    end

    it "keeps integers beyond 64 bits exact" do
      expect(native.parse_json('{"big":123456789012345678901234567890,"neg":-9223372036854775809}'))
        .to eq("big" => 123_456_789_012_345_678_901_234_567_890, "neg" => -9_223_372_036_854_775_809)
    end

    it "returns UTF-8 strings, frozen shared keys, and keeps escaped NULs" do
      doc = native.parse_json('{"name":"Zo\u00eb \u2603","nul":"a\u0000b"}')
      expect(doc["name"]).to eq("Zoë ☃")
      expect(doc["name"].encoding).to eq(Encoding::UTF_8)
      expect(doc["nul"]).to eq("a\0b")
      expect(doc.keys).to all(be_frozen)
    end

    it "lets the last of duplicate keys win" do
      expect(native.parse_json('{"a":1,"a":2}')).to eq("a" => 2)
    end

    {
      "truncated" => '{"type":"contact","id":"5f',
      "trailing garbage" => '{"a":1} x',
      "two documents" => '{"a":1}{"b":2}',
      "empty" => "",
      "whitespace only" => "   ",
      "HTML" => "<html><body>502 Bad Gateway</body></html>",
      "invalid UTF-8" => "{\"a\":\"\xff\xfe\"}".b,
      "overlong UTF-8" => "{\"a\":\"\xc0\xaf\"}".b,
      "an encoded surrogate" => "{\"a\":\"\xed\xa0\x80\"}".b,
      "invalid UTF-8 in a key" => "{\"\xff\":1}".b,
      "raw NUL in the document" => "{\"a\":1}\0garbage",
      "number out of range" => '{"a":1e400}',
      "comments" => '{"a":1 /* no */}',
      "single quotes" => "{'a':1}"
    }.each do |name, text|
      it "raises ParseError for #{name}" do
        expect { native.parse_json(text) }.to raise_error(IntercomSync::ParseError, /invalid JSON/)
      end
    end

    it "refuses nesting deeper than 64 levels" do
      expect(native.parse_json(("[" * 64) + ("]" * 64))).to be_an(Array)
      expect { native.parse_json(("[" * 65) + ("]" * 65)) }.to raise_error(IntercomSync::ParseError, /nesting too deep/)
    end
  end

  describe ".generate_json" do
    it "encodes Ruby values compactly, with symbol keys as strings" do
      expect(native.generate_json({ a: [1, "x", nil, true, false], "b" => { c: :sym } }))
        .to eq('{"a":[1,"x",null,true,false],"b":{"c":"sym"}}')
    end

    it "prints floats in their shortest exact form" do
      expect(native.generate_json([0.1, 1.0, -2.5, 1e20, 123.456, 1.0 / 3])).to eq("[0.1,1.0,-2.5,1e+20,123.456,0.3333333333333333]")
      expect(native.parse_json(native.generate_json([1.0 / 3])).first).to eq(1.0 / 3)
    end

    it "encodes big integers exactly" do
      expect(native.generate_json([2**70, -(2**64)])).to eq("[1180591620717411303424,-18446744073709551616]")
    end

    it "escapes control characters and keeps UTF-8 as is" do
      expect(native.generate_json(["a\"b\\c\n\u0001", "é"])).to eq('["a\"b\\\\c\n\u0001","é"]')
    end

    it "transcodes strings in other encodings to UTF-8" do
      latin1 = "caf\xe9".dup.force_encoding(Encoding::ISO_8859_1)
      expect(native.generate_json([latin1])).to eq('["café"]')
    end

    it "accepts binary strings that are valid UTF-8" do
      expect(native.generate_json(["é".b])).to eq('["é"]')
    end

    {
      "NaN" => [Float::NAN, /NaN/],
      "Infinity" => [Float::INFINITY, /Infinity/],
      "invalid UTF-8" => ["\xff".b, /UTF-8/],
      "an arbitrary object" => [Object.new, /Object/],
      "a Time" => [Time.at(0), /Time/],
      "a non-string key" => [{ 1 => 2 }, /hash key/]
    }.each do |name, (value, message)|
      it "raises EncodeError for #{name}" do
        expect { native.generate_json([value]) }.to raise_error(IntercomSync::EncodeError, message)
      end
    end

    it "raises EncodeError for unconvertible encodings" do
      bad = "\x82\xa0".dup.force_encoding(Encoding::Shift_JIS)
      expect { native.generate_json([bad + "\xff".dup.force_encoding(Encoding::Shift_JIS)]) }.to raise_error(IntercomSync::EncodeError)
    end

    it "refuses nesting deeper than 64 levels, including self-referencing arrays" do
      deep = 64.times.inject([]) { |acc, _| [acc] }
      expect { native.generate_json(deep) }.to raise_error(IntercomSync::EncodeError, /nesting too deep/)
      loop_ary = []
      loop_ary << loop_ary
      expect { native.generate_json(loop_ary) }.to raise_error(IntercomSync::EncodeError, /nesting too deep/)
    end

    it "round-trips through the parser" do
      value = { "id" => "5f0c", "n" => [1, -2, 3.25, nil, true], "s" => "line\nbreak ☃", "h" => { "x" => {} } }
      expect(native.parse_json(native.generate_json(value))).to eq(value)
    end
  end
end
