package com.example.shop;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Prices in cents, by product code. */
public class PriceList {
    private final Map<String, Long> prices = new HashMap<>();

    public void put(String code, long cents) {
        if (cents < 0) {
            throw new IllegalArgumentException("negative price for " + code);
        }
        prices.put(code, cents);
    }

    /** Returns the price of the code, if it is listed. */
    public Optional<Long> priceOf(String code) {
        return Optional.ofNullable(prices.get(code));
    }

    public long totalFor(Map<String, Integer> order) {
        long total = 0;
        for (Map.Entry<String, Integer> entry : order.entrySet()) {
            total += priceOf(entry.getKey()).orElse(0L) * entry.getValue();
        }
        return total;
    }
}
