/*
 * JSON at the Ruby boundary: core documents to Ruby objects, Ruby objects to request bodies.
 *
 * Every temporary C allocation here is released in an rb_ensure, because converting can raise
 * (NoMemoryError, EncodeError, Encoding errors) in the middle.
 */
#include "isync.h"

#include <math.h>
#include <stdarg.h>

static int utf8_encindex;

/* ---------------------------------------------------------------------------------------- */
/* core document -> Ruby */

static VALUE json_key(const isync_json_str *k)
{
#ifdef HAVE_RB_ENC_INTERNED_STR
    /* keys repeat across thousands of records: share one frozen string per key */
    return rb_enc_interned_str(k->ptr, (long)k->len, rb_utf8_encoding());
#else
    return rb_str_freeze(rb_utf8_str_new(k->ptr, (long)k->len));
#endif
}

VALUE isync_json_to_ruby(const isync_json *v)
{
    switch (v->type) {
    case ISYNC_JSON_NULL: return Qnil;
    case ISYNC_JSON_FALSE: return Qfalse;
    case ISYNC_JSON_TRUE: return Qtrue;
    case ISYNC_JSON_INTEGER: return LL2NUM(v->u.integer);
    case ISYNC_JSON_BIGNUM: return rb_cstr_to_inum(v->u.str.ptr, 10, 1);
    case ISYNC_JSON_DOUBLE: return DBL2NUM(v->u.dbl);
    case ISYNC_JSON_STRING: return rb_utf8_str_new(v->u.str.ptr, (long)v->u.str.len);
    case ISYNC_JSON_ARRAY: {
        VALUE ary = rb_ary_new_capa((long)v->u.list.len);
        for (size_t i = 0; i < v->u.list.len; i++) rb_ary_push(ary, isync_json_to_ruby(v->u.list.values[i]));
        return ary;
    }
    case ISYNC_JSON_OBJECT: {
        VALUE hash = rb_hash_new();
        for (size_t i = 0; i < v->u.list.len; i++) {
            rb_hash_aset(hash, json_key(&v->u.list.keys[i]), isync_json_to_ruby(v->u.list.values[i]));
        }
        return hash;
    }
    }
    return Qnil;
}

/* ---------------------------------------------------------------------------------------- */
/* Ruby -> JSON */

typedef struct encoder {
    isync_json_gen *gen;
    int depth;
} encoder;

static void encode_value(encoder *enc, VALUE obj);

NORETURN(static void encode_error(const char *fmt, ...));
static void encode_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    VALUE msg = rb_vsprintf(fmt, ap);
    va_end(ap);
    rb_exc_raise(rb_exc_new_str(eIntercomSyncEncodeError, msg));
}

static void gen_ok(encoder *enc, int rc)
{
    if (rc != 0) encode_error("cannot encode as JSON: %s", isync_json_gen_error(enc->gen));
}

/* Strings must reach yajl as UTF-8: UTF-8, ASCII and binary strings are passed as they are
 * (yajl rejects invalid bytes), strings in other encodings are transcoded first. */
static void encode_string(encoder *enc, VALUE str)
{
    int idx = ENCODING_GET(str);
    if (idx != utf8_encindex && idx != rb_usascii_encindex() && idx != rb_ascii8bit_encindex()) {
        str = rb_str_conv_enc(str, rb_enc_from_index(idx), rb_utf8_encoding());
        if (ENCODING_GET(str) != utf8_encindex) {
            encode_error("string in %s cannot be converted to UTF-8", rb_enc_name(rb_enc_from_index(idx)));
        }
    }
    if (isync_json_gen_string(enc->gen, RSTRING_PTR(str), (size_t)RSTRING_LEN(str)) != 0) {
        encode_error("cannot encode string as JSON: %s", isync_json_gen_error(enc->gen));
    }
    RB_GC_GUARD(str);
}

static int encode_pair(VALUE key, VALUE value, VALUE arg)
{
    encoder *enc = (encoder *)arg;
    if (SYMBOL_P(key)) key = rb_sym2str(key);
    if (!RB_TYPE_P(key, T_STRING)) {
        encode_error("cannot encode a %" PRIsVALUE " hash key as JSON (keys must be strings or symbols)",
                     rb_obj_class(key));
    }
    encode_string(enc, key);
    encode_value(enc, value);
    return ST_CONTINUE;
}

static void encode_value(encoder *enc, VALUE obj)
{
    switch (rb_type(obj)) {
    case T_NIL: gen_ok(enc, isync_json_gen_null(enc->gen)); return;
    case T_TRUE: gen_ok(enc, isync_json_gen_bool(enc->gen, 1)); return;
    case T_FALSE: gen_ok(enc, isync_json_gen_bool(enc->gen, 0)); return;
    case T_FIXNUM: gen_ok(enc, isync_json_gen_integer(enc->gen, FIX2LONG(obj))); return;
    case T_BIGNUM: {
        VALUE digits = rb_big2str(obj, 10);
        gen_ok(enc, isync_json_gen_number_text(enc->gen, RSTRING_PTR(digits), (size_t)RSTRING_LEN(digits)));
        RB_GC_GUARD(digits);
        return;
    }
    case T_FLOAT: {
        double d = RFLOAT_VALUE(obj);
        if (!isfinite(d)) encode_error("cannot encode %s as JSON", isnan(d) ? "NaN" : "Infinity");
        gen_ok(enc, isync_json_gen_double(enc->gen, d));
        return;
    }
    case T_STRING: encode_string(enc, obj); return;
    case T_SYMBOL: encode_string(enc, rb_sym2str(obj)); return;
    case T_HASH:
    case T_ARRAY:
        if (++enc->depth > ISYNC_JSON_MAX_DEPTH) encode_error("cannot encode as JSON: nesting too deep");
        if (RB_TYPE_P(obj, T_HASH)) {
            gen_ok(enc, isync_json_gen_map_open(enc->gen));
            rb_hash_foreach(obj, encode_pair, (VALUE)enc);
            gen_ok(enc, isync_json_gen_map_close(enc->gen));
        } else {
            gen_ok(enc, isync_json_gen_array_open(enc->gen));
            for (long i = 0; i < RARRAY_LEN(obj); i++) encode_value(enc, RARRAY_AREF(obj, i));
            gen_ok(enc, isync_json_gen_array_close(enc->gen));
        }
        enc->depth--;
        return;
    default:
        encode_error("cannot encode a %" PRIsVALUE " as JSON", rb_obj_class(obj));
    }
}

void isync_ruby_to_json(VALUE obj, isync_json_gen *g)
{
    encoder enc = {g, 0};
    encode_value(&enc, obj);
}

/* ---------------------------------------------------------------------------------------- */
/* IntercomSync::Native.generate_json / .parse_json: the codec the client uses, exposed for
 * specs, the emulator's tests and anyone who wants the same encoding rules. */

typedef struct generate_args {
    VALUE obj;
    isync_json_gen *gen;
} generate_args;

static VALUE generate_body(VALUE p)
{
    generate_args *a = (generate_args *)p;
    isync_ruby_to_json(a->obj, a->gen);
    const char *out;
    size_t len;
    isync_json_gen_result(a->gen, &out, &len);
    return rb_utf8_str_new(out, (long)len);
}

static VALUE generate_ensure(VALUE p)
{
    isync_json_gen_free(((generate_args *)p)->gen);
    return Qnil;
}

static VALUE native_generate_json(VALUE self, VALUE obj)
{
    generate_args a = {obj, isync_json_gen_new()};
    if (!a.gen) rb_memerror();
    return rb_ensure(generate_body, (VALUE)&a, generate_ensure, (VALUE)&a);
}

static VALUE to_ruby_body(VALUE p) { return isync_json_to_ruby((const isync_json *)p); }
static VALUE free_doc(VALUE p)
{
    isync_json_free((isync_json *)p);
    return Qnil;
}

static VALUE native_parse_json(VALUE self, VALUE str)
{
    StringValue(str);
    isync_error e;
    isync_error_clear(&e);
    isync_json *doc = isync_json_parse(RSTRING_PTR(str), (size_t)RSTRING_LEN(str), &e);
    RB_GC_GUARD(str);
    if (!doc) isync_raise(&e, NULL);
    return rb_ensure(to_ruby_body, (VALUE)doc, free_doc, (VALUE)doc);
}

void isync_init_json(void)
{
    utf8_encindex = rb_utf8_encindex();
    rb_define_module_function(mIntercomSyncNative, "generate_json", native_generate_json, 1);
    rb_define_module_function(mIntercomSyncNative, "parse_json", native_parse_json, 1);
}
