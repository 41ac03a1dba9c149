// Empty: compiles the precompiled catch.hpp that the test binaries reuse.
